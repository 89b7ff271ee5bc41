/** SQL files are bundled as text (wrangler.toml [[rules]] Text **\/*.sql): the session object's migrations. */
declare module "*.sql" {
  const text: string;
  export default text;
}
