/** Nest injection token of the one validated `FireiotConfig`. */
export const FIREIOT_CONFIG = Symbol('FIREIOT_CONFIG');
