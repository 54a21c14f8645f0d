/**
 * Runs a command's `main` and exits with its code; an error ends the process with exit 1 and one `error:` line, so a
 * command's failures read the same everywhere.
 */
export function runCommand(main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`error: ${err.message}`);
      process.exit(1);
    },
  );
}
