import { describeBadInput } from "./bad-input";

await describeBadInput({ part: 1, of: 2 });
