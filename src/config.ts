/**
 * Layer configurations for `Tracing.start()`. Each helper returns a plain
 * description; the addon builds the layer it describes.
 */
import type { Layer } from './layer.js'

const SPEC = Symbol.for('vitest-napi-tracing.layer')

/** A TypeScript layer receiving span and event callbacks. */
export interface CallbackLayerSpec {
  readonly [SPEC]: true
  readonly kind: 'callback'
  readonly layer: Layer<any>
}

/** Any layer `Tracing.start()` accepts. */
export type LayerSpec = CallbackLayerSpec

/**
 * Sends spans and events to a TypeScript `Layer`: the TypeScript counterpart
 * of a `tracing_subscriber::Layer`. Several callback layers may be given;
 * they share one stream of records from the addon.
 */
export function callbackLayer<S>(layer: Layer<S>): CallbackLayerSpec {
  if (typeof layer !== 'object' || layer === null) {
    throw new TypeError(
      `vitest-napi-tracing: callbackLayer() takes an object with Layer methods (onNewSpan, onEvent, ...), got ${String(layer)}`,
    )
  }
  return { [SPEC]: true, kind: 'callback', layer }
}

/** Throws a clear error for anything in `layers` that is not one of ours. */
export function checkLayers(layers: readonly unknown[]): LayerSpec[] {
  return layers.map((spec, i) => {
    if (typeof spec === 'object' && spec !== null && (spec as { [SPEC]?: unknown })[SPEC] === true) {
      return spec as LayerSpec
    }
    throw new TypeError(
      `vitest-napi-tracing: unknown layer at layers[${i}] (${describe(spec)}). Build layers with ` +
        `callbackLayer(myLayer) from 'vitest-napi-tracing'.`,
    )
  })
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return String(value)
  const kind = (value as { kind?: unknown }).kind
  return typeof kind === 'string' ? `kind "${kind}"` : `an object with keys ${Object.keys(value).join(', ') || 'none'}`
}
