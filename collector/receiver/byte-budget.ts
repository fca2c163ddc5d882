/** Bytes held for requests in progress, against one limit. */
export class ByteBudget {
  readonly #max: number;
  #used = 0;
  #peak = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get full(): boolean {
    return this.#used >= this.#max;
  }

  get used(): number {
    return this.#used;
  }

  /** The most ever held at once (a bound check for tests and operators). */
  get peak(): number {
    return this.#peak;
  }

  /** One request's share; released in one go when the request is answered. */
  holder(): BudgetHolder {
    let held = 0;
    return {
      take: (bytes) => {
        if (this.#used + bytes > this.#max) return false;
        this.#used += bytes;
        held += bytes;
        this.#peak = Math.max(this.#peak, this.#used);
        return true;
      },
      force: (bytes) => {
        this.#used += bytes;
        held += bytes;
        this.#peak = Math.max(this.#peak, this.#used);
      },
      release: () => {
        this.#used -= held;
        held = 0;
      },
    };
  }
}

export interface BudgetHolder {
  /** Holds more bytes if the budget has room; false when it has not. */
  take(bytes: number): boolean;
  /** Holds bytes already allocated (the encoded spool record), whatever the budget says. */
  force(bytes: number): void;
  release(): void;
}
