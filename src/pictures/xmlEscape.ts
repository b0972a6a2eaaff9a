/** Text and attribute values for the SVG and HTML pictures (the diagram, the call timeline). */
export const escapeXml = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
