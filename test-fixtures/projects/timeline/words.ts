/**
 * JavaScript work with a name, as a test's own code would be: counts the
 * words of a generated text, round after round, for `ms` milliseconds.
 */
export function countWords(ms: number): number {
  const until = performance.now() + ms
  const counts = new Map<string, number>()
  let round = 0
  while (performance.now() < until) {
    const text = `round ${round} of the quick brown fox jumps over the lazy dog ${round % 7} times`
    let word = ''
    for (let i = 0; i <= text.length; i++) {
      const ch = i < text.length ? text.charCodeAt(i) : 32
      if (ch === 32 || ch === 44 || ch === 46) {
        if (word.length > 0) {
          const key = word.length > 3 ? word.toLowerCase() : word
          counts.set(key, (counts.get(key) ?? 0) + 1)
          word = ''
        }
      } else if ((ch >= 48 && ch <= 57) || (ch >= 65 && ch <= 90) || (ch >= 97 && ch <= 122)) {
        word += String.fromCharCode(ch)
      } else {
        word = ''
      }
    }
    round++
  }
  return counts.size + round
}
