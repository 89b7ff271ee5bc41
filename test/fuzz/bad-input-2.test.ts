import { describeBadInput } from "./bad-input";

await describeBadInput({ part: 2, of: 2 });
