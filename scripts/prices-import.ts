/** `npm run prices:import`: writes packages/sdk/src/pricing/prices-reference.json from the installed @pydantic/genai-prices. */
import fs from 'node:fs';
import { installedReferenceCatalog, REFERENCE_FILE } from './genai-prices-import.ts';

const catalog = await installedReferenceCatalog();
fs.writeFileSync(REFERENCE_FILE, `${JSON.stringify(catalog)}\n`);
process.stdout.write(
  `wrote ${REFERENCE_FILE.pathname}: ${catalog.prices.length} prices of ${catalog.providers.length} providers from ${catalog.catalog_version}; left out ${catalog.left_out.length}\n`,
);
