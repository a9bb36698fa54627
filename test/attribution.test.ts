/** Which test owns a span: caller tags first, then the test windows in time; the file otherwise. */
import { describe, expect, test } from 'vitest'
import { Attribution } from '../plugin/worker/attribution.js'

describe('Attribution', () => {
  test('a span made inside one test window is that test’s; outside every window, the file’s', () => {
    const a = new Attribution()
    a.open('t1', 100)
    a.close('t1', 200)
    a.open('t2', 300)
    expect(a.ownerOf(50, 0)).toEqual([])
    expect(a.ownerOf(100, 0)).toEqual(['t1'])
    expect(a.ownerOf(200, 0)).toEqual(['t1'])
    expect(a.ownerOf(250, 0)).toEqual([])
    // An open window reaches to now.
    expect(a.ownerOf(10_000, 0)).toEqual(['t2'])
  })

  test('overlapping windows share what no caller tag explains', () => {
    const a = new Attribution()
    a.open('first', 100, 1)
    a.open('second', 150, 2)
    a.close('first', 300)
    expect(a.ownerOf(200, 0)).toEqual(['first', 'second'])
    // A tagged call is its test's, whatever the time.
    expect(a.ownerOf(200, 2)).toEqual(['second'])
    expect(a.ownerOf(50, 1)).toEqual(['first'])
    // An unknown tag falls back to time.
    expect(a.ownerOf(350, 9)).toEqual(['second'])
  })

  test('a retried test opens a new window; clear() forgets windows and tags', () => {
    const a = new Attribution()
    a.open('t', 100, 1)
    a.close('t', 200)
    a.open('t', 300)
    a.close('t', 400)
    expect(a.ownerOf(150, 0)).toEqual(['t'])
    expect(a.ownerOf(350, 0)).toEqual(['t'])
    a.clear()
    expect(a.ownerOf(150, 1)).toEqual([])
  })

  test('a file of thousands of windows, long and short, overlapping: the owners every window that holds the time gives', () => {
    // The reference: every window looked at.
    const windows: Array<{ id: string; start: number; end?: number }> = []
    const reference = (ts: number) => windows.filter((w) => ts >= w.start && (w.end === undefined || ts <= w.end)).map((w) => w.id)
    const a = new Attribution()
    let seed = 7
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const open: typeof windows = []
    let now = 1_000
    for (let i = 0; i < 3_000; i++) {
      now += Math.floor(random() * 50)
      const w = { id: `t${i}`, start: now }
      windows.push(w)
      a.open(w.id, w.start)
      open.push(w)
      // Most close soon; a few run long beside the others (concurrent tests).
      for (const o of [...open]) {
        if (random() < (o.id.endsWith('7') ? 0.01 : 0.6)) {
          o.end = now + Math.floor(random() * 40)
          a.close(o.id, o.end)
          open.splice(open.indexOf(o), 1)
        }
      }
    }
    for (let ts = 900; ts < now + 100; ts += 13) expect(a.ownerOf(ts, 0), `at ${ts}`).toEqual(reference(ts))
  })
})
