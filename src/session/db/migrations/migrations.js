import m0000 from "./0000_init.sql";
import m0001 from "./0001_client_tools_and_idempotency.sql";
import m0002 from "./0002_parked_turns.sql";
import m0003 from "./0003_drop_delta_cursors.sql";
import m0004 from "./0004_tool_approvals_and_mcp.sql";
import journal from "./meta/_journal.json";

export default {
  journal,
  migrations: {
    m0000,
    m0001,
    m0002,
    m0003,
    m0004,
  },
};
