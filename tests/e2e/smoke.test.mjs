// Smoke test of the built app through tauri-driver (WebDriver): the shipped pipeline, opened
// on the demo world because no cluster of it is configured.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { By } from 'selenium-webdriver';
import { PIPELINE, RENDER_TIMEOUT_MS, launchApp } from './harness.mjs';

/** What the seed's values files say about each environment, in pipeline order. */
const EXPECTED = [
  { name: 'dev', namespace: 'dev', replicas: 1, values: ['50m', '64Mi', 'dev.tbyte.local', 'db.t3.micro'] },
  {
    name: 'staging',
    namespace: 'staging',
    replicas: 2,
    values: ['100m', '128Mi', 'staging.tbyte.local', 'db.t3.small'],
  },
  {
    name: 'production',
    namespace: 'production',
    replicas: 3,
    values: ['200m', '256Mi', 'tbyte.local', 'db.t3.medium'],
  },
];

const CARD = By.css('[data-testid="environment-card"]');
const GATE = By.css('[data-testid="gate"]');
const ERROR = By.css('[data-testid="error"]');
const RULES_TOGGLE = By.css('[data-testid="gate-rules-toggle"]');

/** `label`, then `value` as a whole word in the next line(s) of the rendered text. */
function row(label, value) {
  const escaped = String(value).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`${label}\\s+${escaped}(?![\\w.-])`, 'i');
}

describe('Sluice window', () => {
  /** @type {import('selenium-webdriver').WebDriver | undefined} */
  let driver;
  let app;

  before(async () => {
    app = await launchApp({ args: ['--pipeline', PIPELINE] });
    driver = app.driver;
  });

  after(async () => {
    await app?.quit();
  });

  it('is titled Sluice', async () => {
    assert.equal(await driver.executeScript('return document.title'), 'Sluice');
  });

  it('shows the three environments in order, with their values and the production gate', async () => {
    const cards = await driver.wait(
      async () => {
        // Fail at once, with the app's own words, if it shows an error.
        const errors = await driver.findElements(ERROR);
        if (errors.length > 0) {
          throw new Error(`the app shows an error: ${await errors[0].getText()}`);
        }
        const found = await driver.findElements(CARD);
        return found.length >= EXPECTED.length ? found : null;
      },
      RENDER_TIMEOUT_MS,
      `no ${EXPECTED.length} environment cards within ${RENDER_TIMEOUT_MS / 1000} s`,
    );

    assert.equal(cards.length, EXPECTED.length);
    const names = await Promise.all(cards.map((card) => card.getAttribute('data-environment')));
    assert.deepEqual(
      names,
      EXPECTED.map((environment) => environment.name),
    );

    for (const [index, expected] of EXPECTED.entries()) {
      const text = await cards[index].getText();
      const where = `card ${expected.name}:\n${text}`;
      assert.ok(text.includes(expected.name), `name missing in ${where}`);
      assert.match(text, row('namespace', expected.namespace), `namespace in ${where}`);
      assert.match(text, row('replicas', expected.replicas), `replicas in ${where}`);
      for (const value of expected.values) {
        assert.ok(text.includes(value), `${value} missing in ${where}`);
      }
    }

    const gates = await driver.findElements(GATE);
    // With live state the configured rules fold away behind a toggle: open them to read them.
    for (const gate of gates) {
      const toggles = await gate.findElements(RULES_TOGGLE);
      if (toggles.length > 0 && (await toggles[0].getAttribute('aria-expanded')) === 'false') {
        await toggles[0].click();
      }
    }
    const gateTexts = await Promise.all(gates.map((gate) => gate.getText()));
    const production = gateTexts.find((text) => /production/i.test(text));
    assert.ok(production, `no gate mentions production; gates: ${JSON.stringify(gateTexts)}`);
    assert.match(production, /reviewers/i, `production gate lists no reviewers:\n${production}`);
    assert.match(production, /@[\w.-]+/, `production gate names no reviewer:\n${production}`);
  });
});
