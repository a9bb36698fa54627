import { spanTests } from './addon.js'

spanTests('a')
