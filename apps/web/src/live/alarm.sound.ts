/**
 * The alarm sound, made with the Web Audio API (no audio files): a two-tone siren for fire
 * alarms, repeated until stopped; a short chime for other alerts. Browsers only play sound after
 * a user gesture on the page; `unlock()` is called from one (sign-in, the "enable sound" button).
 */
export class AlarmSound {
  private context: AudioContext | null = null;
  private siren: ReturnType<typeof setInterval> | null = null;
  muted = false;

  /** Whether the browser lets the page play sound now. */
  get unlocked(): boolean {
    return this.context?.state === 'running';
  }

  async unlock(): Promise<void> {
    this.context ??= new AudioContext();
    if (this.context.state === 'suspended') await this.context.resume();
  }

  /** A fire alarm: siren every 1.2 s until `stopSiren()`; vibrates where the device can. */
  startSiren(): void {
    if (this.siren !== null) return;
    const cycle = () => {
      this.tone([960, 720], 0.5);
      vibrate([400, 200, 400]);
    };
    cycle();
    this.siren = setInterval(cycle, 1200);
  }

  stopSiren(): void {
    if (this.siren !== null) clearInterval(this.siren);
    this.siren = null;
  }

  get sirenOn(): boolean {
    return this.siren !== null;
  }

  /** Any other new alert: one short chime and a short vibration. */
  chime(): void {
    this.tone([660, 880], 0.15);
    vibrate([200]);
  }

  private tone(frequencies: readonly number[], seconds: number): void {
    const context = this.context;
    if (this.muted || context === null || context.state !== 'running') return;
    let at = context.currentTime;
    for (const frequency of frequencies) {
      const oscillator = context.createOscillator();
      const gain = context.createGain();
      oscillator.type = 'square';
      oscillator.frequency.value = frequency;
      gain.gain.setValueAtTime(0.15, at);
      gain.gain.exponentialRampToValueAtTime(0.001, at + seconds);
      oscillator.connect(gain).connect(context.destination);
      oscillator.start(at);
      oscillator.stop(at + seconds);
      at += seconds;
    }
  }
}

function vibrate(pattern: number[]): void {
  if (typeof navigator.vibrate === 'function') navigator.vibrate(pattern);
}

export const alarmSound = new AlarmSound();
