/** Size of the website widget as served at /widget.js: minified bundle, raw and gzipped (level 9, as served). */
import { bundleWidget } from '../src/channels/widget/bundle';

void bundleWidget().then((b) => {
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  process.stdout.write(
    `widget.js: ${b.rawBytes} bytes raw (${kb(b.rawBytes)}), ${b.gzipBytes} bytes gzipped (${kb(b.gzipBytes)})\n`,
  );
});
