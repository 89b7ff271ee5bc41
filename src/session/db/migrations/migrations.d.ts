// Types for migrations.js, which drizzle-kit generates (and regenerates) beside this file.
declare const migrations: {
  journal: { entries: { idx: number; when: number; tag: string; breakpoints: boolean }[] };
  migrations: Record<string, string>;
};
export default migrations;
