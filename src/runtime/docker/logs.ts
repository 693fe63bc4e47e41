// A container's output for the report: stdout and stderr as they arrive, keeping the first part
// (startup errors) and the last part (why it died), with the number of bytes dropped between.
export class LogKeeper {
  private head = "";
  private tail = "";
  private dropped = 0;

  constructor(
    private readonly headBytes = 64 * 1024,
    private readonly tailBytes = 192 * 1024,
  ) {}

  append(chunk: string): void {
    if (this.head.length < this.headBytes) {
      const room = this.headBytes - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    this.tail += chunk;
    if (this.tail.length > this.tailBytes) {
      this.dropped += this.tail.length - this.tailBytes;
      this.tail = this.tail.slice(-this.tailBytes);
    }
  }

  text(): string {
    if (this.dropped === 0) return this.head + this.tail;
    return `${this.head}\n[… ${this.dropped} characters not kept …]\n${this.tail}`;
  }
}
