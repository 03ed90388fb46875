/**
 * The `pg` Pool identity's repositories use (the application role `fireiot_app`). Bound by
 * `IdentityModule.forRoot({ poolToken })` to the app's pool token (`APP_POOL` of
 * `@fireiot/storage`): a data-access library may not import another data-access library.
 */
export const IDENTITY_POOL = Symbol('IDENTITY_POOL');

/** Optional `AuthOptions` for `AuthService` (clock and cache bounds; specs set them). */
export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
