import type { OutboxJobKind } from "../../db/schema/index.ts";
import { cancelWorkOrder } from "./cancel-work-order.ts";
import { createWorkOrder } from "./create-work-order.ts";
import type { JobHandler } from "./handler.ts";
import { publishPhoto } from "./publish-photo.ts";
import { writeBack } from "./write-back.ts";

/** One handler per job kind: adding a kind without its handler does not compile. */
export const JOB_HANDLERS: Readonly<Record<OutboxJobKind, JobHandler>> = {
  create_work_order: createWorkOrder,
  cancel_work_order: cancelWorkOrder,
  write_back: writeBack,
  publish_photo: publishPhoto,
};
