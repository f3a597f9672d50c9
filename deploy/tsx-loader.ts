let registered = false;

/**
 * Lets Node import the user's TypeScript (troupe modules, troupe.config.ts) with tsx's loader,
 * for ESM and CommonJS packages alike. Loaded on first use only: most commands never need it.
 */
export async function registerTsx(): Promise<void> {
  if (registered) return;
  const [{ register: registerEsm }, { register: registerCjs }] = await Promise.all([
    import('tsx/esm/api'),
    import('tsx/cjs/api'),
  ]);
  registerEsm();
  registerCjs();
  registered = true;
}
