import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Real containers take real time; each test still bounds itself.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run suites two at a time. Each suite owns its state
    // directory, socket and id prefix, so they never collide.
    pool: "forks",
    maxWorkers: 2,
    restoreMocks: true,
    unstubEnvs: true,
  },
});
