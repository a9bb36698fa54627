import { spanTests } from './addon.js'

spanTests('b')
