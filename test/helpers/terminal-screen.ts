/**
 * A small terminal emulator for tests: applies text with the ANSI sequences an in-place display
 * writes (cursor up/down/left/column, erase line/end of line/below, private modes ignored) to a
 * screen of fixed size, with `\n` moving to the start of the next line (as a terminal's onlcr
 * output does) and scrolling past the bottom, so a test can read what a person would see.
 */
export class TerminalScreen {
  private readonly cells: string[][];
  private row = 0;
  private col = 0;
  /** Lines scrolled off the top. */
  readonly scrolledOff: string[] = [];
  /** Cursor-up sequences seen (a redraw in place moves up). */
  cursorUps = 0;

  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    this.cells = Array.from({ length: rows }, () => this.blankLine());
  }

  write(text: string): void {
    let i = 0;
    while (i < text.length) {
      const char = text[i] as string;
      if (char === "\x1b") {
        // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC starts the sequences it reads
        const csi = /^\x1b\[([?0-9;]*)([A-Za-z@])/.exec(text.slice(i));
        if (csi) {
          this.control(csi[1] as string, csi[2] as string);
          i += csi[0].length;
          continue;
        }
        i += 2; // another escape (ESC 7, ESC 8, …): not used by the display
        continue;
      }
      if (char === "\r") this.col = 0;
      else if (char === "\n") this.lineFeed();
      else if (char >= " ") this.put(char);
      i++;
    }
  }

  /** The visible lines, trailing blanks cut, trailing empty lines dropped. */
  lines(): string[] {
    const lines = this.cells.map((line) => line.join("").trimEnd());
    while (lines.length > 0 && lines.at(-1) === "") lines.pop();
    return lines;
  }

  private blankLine(): string[] {
    return Array.from({ length: this.columns }, () => " ");
  }

  private put(char: string): void {
    if (this.col >= this.columns) this.lineFeed();
    (this.cells[this.row] as string[])[this.col] = char;
    this.col++;
  }

  private lineFeed(): void {
    this.col = 0;
    if (this.row < this.rows - 1) {
      this.row++;
      return;
    }
    this.scrolledOff.push((this.cells.shift() as string[]).join("").trimEnd());
    this.cells.push(this.blankLine());
  }

  private control(params: string, final: string): void {
    if (params.startsWith("?")) return; // cursor visibility, synchronized output
    const n = params === "" ? 1 : Number(params.split(";")[0]) || 1;
    const line = this.cells[this.row] as string[];
    switch (final) {
      case "A":
        this.cursorUps++;
        this.row = Math.max(0, this.row - n);
        return;
      case "B":
        this.row = Math.min(this.rows - 1, this.row + n);
        return;
      case "C":
        this.col = Math.min(this.columns - 1, this.col + n);
        return;
      case "D":
        this.col = Math.max(0, this.col - n);
        return;
      case "G":
        this.col = Math.min(this.columns - 1, n - 1);
        return;
      case "K": {
        const mode = params === "" ? 0 : Number(params);
        const [from, to] =
          mode === 0
            ? [this.col, this.columns]
            : mode === 1
              ? [0, this.col + 1]
              : [0, this.columns];
        for (let c = from; c < to; c++) line[c] = " ";
        return;
      }
      case "J": {
        const mode = params === "" ? 0 : Number(params);
        if (mode !== 0) throw new Error(`erase display mode ${mode} is not emulated`);
        for (let c = this.col; c < this.columns; c++) line[c] = " ";
        for (let r = this.row + 1; r < this.rows; r++) this.cells[r] = this.blankLine();
        return;
      }
      default:
        throw new Error(`the sequence ESC[${params}${final} is not emulated`);
    }
  }
}
