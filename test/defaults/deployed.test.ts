/**
 * The `defaults` project's tests: the Worker with wrangler.toml's own settings. They are modules
 * of this one file so that the project runs in one workerd: each test file of a project can get a
 * workerd of its own, started and loaded with the Worker's modules (about 4 s of CPU each), and
 * these files are short.
 */
import "./auth-mode-none";
import "./fetch-urls";
import "./head-streams";
import "./mcp-urls";
import "./provider-urls";
import "./stream-slots";
import "./webhook-urls";
