/** Placeholder shell until the studio views land (issue: "The studio: six coordinated views"). */
export function App() {
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '3rem auto', lineHeight: 1.5 }}>
      <h1>Concept Tuning Studio</h1>
      <p>
        Distil a vision model you cannot read into a linear model over named visual concepts, see why it
        decides what it decides, and fix it with sliders. Everything runs in this browser tab.
      </p>
      <h2>Coming next</h2>
      <ul>
        <li>Project: import images, pick a CLIP model, choose concepts and a teacher, distil.</li>
        <li>Performance, Concepts, Images, Compare and History views.</li>
        <li>Export of the tuned student as JSON.</li>
      </ul>
      <p>
        The engine is already usable from the command line: <code>npx concept-studio --help</code>.
      </p>
    </main>
  );
}
