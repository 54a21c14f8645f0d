import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

/** A PDF's pages as text (pdf.js's text layer: what a reader's search and copy find), one string per page. */
export async function pdfPages(pdf: Uint8Array): Promise<string[]> {
  // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
  const doc = await getDocument({ data: new Uint8Array(pdf), isEvalSupported: false }).promise;
  try {
    const pages: string[] = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const content = await (await doc.getPage(i)).getTextContent();
      pages.push(
        content.items.map((item) => ('str' in item ? item.str + (item.hasEOL ? '\n' : '') : '')).join(''),
      );
    }
    return pages;
  } finally {
    await doc.destroy();
  }
}

/** The font names a PDF embeds (`/BaseFont /ABCDEF+Name` → `Name`). */
export function pdfFontNames(pdf: Uint8Array): string[] {
  const text = Buffer.from(pdf).toString('latin1');
  return [
    ...new Set(
      [...text.matchAll(/\/BaseFont\s*\/(?:[A-Z]{6}\+)?([\w.-]+)/g)].flatMap((m) => (m[1] ? [m[1]] : [])),
    ),
  ];
}
