import type { AnalogTypeRef, CodeRef } from './code.table';

/**
 * A decoded GB/T 26875.3 frame. This is exactly the JSON the `fireiot decode` CLI prints
 * (`shared/spec/contract.md`, "Decoded frame JSON"), and `encodeFrame` accepts it back.
 * Time labels are naive local time strings "YYYY-MM-DDTHH:mm:ss" (the wire carries no zone).
 */
export interface Frame {
  /** Business serial number 业务流水号, uint16. */
  readonly serial: number;
  /** Main protocol version (fixed at 1) and user version bytes. */
  readonly version: { readonly major: number; readonly minor: number };
  /** The sender's time label. */
  readonly sentAt: string;
  readonly source: Address;
  readonly destination: Address;
  readonly command: CodeRef;
  /** Null when the ADU is empty (confirms, denies, heartbeats). */
  readonly adu: Adu | null;
}

/** A 6-byte address: the wire bytes and the little-endian 48-bit value as a decimal string. */
export interface Address {
  readonly hex: string;
  readonly value: string;
}

/**
 * A 4-byte component address: the wire bytes, the LE u32, and the two LE 16-bit halves that
 * vendors pack loop/point into (notes §7.3: `0a000200` = loop 2, point 10).
 */
export interface ComponentAddress {
  readonly hex: string;
  readonly value: number;
  readonly low16: number;
  readonly high16: number;
}

/** A state word: the raw value (authoritative, keeps reserved bits) and the names of its set bits. */
export interface StateBits {
  readonly raw: number;
  readonly flags: readonly string[];
}

export interface SoftwareVersion {
  readonly major: number;
  readonly minor: number;
}

interface OnSystem {
  readonly systemType: CodeRef;
  readonly systemAddress: number;
}

interface OnComponent extends OnSystem {
  readonly componentType: CodeRef;
  readonly componentAddress: ComponentAddress;
}

interface Timed {
  /** The object's time label; absent when the device sent the object without one. */
  readonly occurredAt?: string;
}

interface Described {
  /** GB18030 text, trimmed of padding, leading NULs and junk. */
  readonly description: string;
  /** The field's bytes as sent, so the frame re-encodes byte for byte. */
  readonly descriptionRaw: string;
}

interface Operations {
  readonly operations: readonly string[];
  readonly operationsRaw: number;
  readonly operator: number;
}

export interface SystemStateObject extends OnSystem, Timed {
  readonly state: StateBits;
}
export interface ComponentStateObject extends OnComponent, Timed, Described {
  readonly state: StateBits;
}
export interface ComponentAnalogObject extends OnComponent, Timed {
  readonly analogType: AnalogTypeRef;
  /** int16 as sent. */
  readonly rawValue: number;
  /** rawValue × resolution in `analogType.unit`; null when the type's scale is unknown. */
  readonly value: number | null;
}
export interface SystemOperationObject extends OnSystem, Operations, Timed {}
export interface SystemSoftwareVersionObject extends OnSystem {
  readonly softwareVersion: SoftwareVersion;
}
export interface SystemConfigObject extends OnSystem, Described {}
export interface ComponentConfigObject extends OnComponent, Described {}
export interface SystemTimeObject extends OnSystem {
  readonly systemTime: string;
}
export interface UitdStateObject extends Timed {
  readonly state: StateBits;
}
export type UitdOperationObject = Operations & Timed;
export interface UitdSoftwareVersionObject {
  readonly softwareVersion: SoftwareVersion;
}
export type UitdConfigObject = Described;
export interface UitdTimeObject {
  readonly systemTime: string;
}
export type SystemRefObject = OnSystem;
export interface ComponentRefObject extends OnSystem {
  readonly componentAddress: ComponentAddress;
}
export interface ReadSystemOperationObject extends OnSystem {
  readonly recordCount: number;
  readonly startTime: string;
}
export interface ReservedByteObject {
  readonly reserved: number;
}
export interface ReadUitdOperationObject {
  readonly recordCount: number;
  readonly startTime: string;
}
export interface SyncClockObject {
  readonly systemTime: string;
}
export interface DutyCheckObject {
  readonly answerTimeoutMinutes: number;
}

/** The object type carried by each ADU type code the standard defines (Table 3). */
export interface AduObjectByType {
  1: SystemStateObject;
  2: ComponentStateObject;
  3: ComponentAnalogObject;
  4: SystemOperationObject;
  5: SystemSoftwareVersionObject;
  6: SystemConfigObject;
  7: ComponentConfigObject;
  8: SystemTimeObject;
  21: UitdStateObject;
  24: UitdOperationObject;
  25: UitdSoftwareVersionObject;
  26: UitdConfigObject;
  28: UitdTimeObject;
  61: SystemRefObject;
  62: ComponentRefObject;
  63: ComponentRefObject;
  64: ReadSystemOperationObject;
  65: SystemRefObject;
  66: SystemRefObject;
  67: ComponentRefObject;
  68: SystemRefObject;
  81: ReservedByteObject;
  84: ReadUitdOperationObject;
  85: ReservedByteObject;
  86: ReservedByteObject;
  88: ReservedByteObject;
  89: ReservedByteObject;
  90: SyncClockObject;
  91: DutyCheckObject;
}

export type KnownAduType = keyof AduObjectByType;
export type AduObject = AduObjectByType[KnownAduType];

export interface Adu {
  readonly type: CodeRef;
  /** Decoded objects; empty for reserved and user-defined types, whose bytes are in `raw`. */
  readonly objects: readonly AduObject[];
  /** The whole ADU as lowercase hex, type byte and count included. */
  readonly raw: string;
}

export interface AduOf<K extends KnownAduType> extends Adu {
  readonly type: CodeRef & { readonly code: K };
  readonly objects: ReadonlyArray<AduObjectByType[K]>;
}

/** Narrows an ADU to the objects of one type: `if (isAduOfType(adu, 2)) adu.objects[0].state`. */
export function isAduOfType<K extends KnownAduType>(adu: Adu | null, code: K): adu is AduOf<K> {
  return adu !== null && adu.type.code === code;
}
