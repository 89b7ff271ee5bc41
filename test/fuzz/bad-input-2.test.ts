import { describeBadInput } from "./bad-input";

await describeBadInput(2);
