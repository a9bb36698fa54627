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
})
