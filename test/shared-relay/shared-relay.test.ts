/**
 * The `shared-relay` project's tests: the relay's own, then the stream-chaos, resume and
 * large-payload tests of the `api` project again, every stream of theirs through the shared relay.
 * They are modules of this one file so that the project runs in one workerd (each test file of a
 * project can get a workerd of its own, about 4 s of CPU to start and load).
 */
import "./relay";
import "../stream-chaos.test";
import "../events-resume.test";
import "../payloads/large-payloads.test";
