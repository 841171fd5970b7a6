/** The screened engine path (issue 22): bounded double-precision screening with exact fallback. */
export { buildScreenTable, SCREEN_FALLBACK_REASONS } from './table';
export type { ScreenTable, ScreenContext, ScreenFallbackReason, ScreenMarket, ScreenAsset } from './table';
export { prepareScreenAccount } from './account';
export type { ScreenAccount } from './account';
export { screenAccounts, screenSnapshots, screenedStatus, accountsNeedingExact, sameContext } from './screened';
export type { ScreenQuestion, ScreenAnswer, ScreenOutcome, ScreenBatchResult, ScreenOptions, ScreenedStatus, MarginRatioSide } from './screened';
export { toBoundedDouble, type BoundedDouble } from './bounds';
