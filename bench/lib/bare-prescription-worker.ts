/**
 * The floor for `sdk-live`: a plugin without the SDK, in a process of its own. One Connect
 * stream through the generated client; registers, then answers every PrescriptionRequest of a
 * case prefix at once with one PrescriptionResult (`last`) for its case, ignoring the acks.
 */
import { credentials } from "@grpc/grpc-js";
import {
  type ConnectResponse,
  PluginServiceClient,
} from "../../src/gen/trainingcore/v1/plugin_service.js";

type Command = { type: "run"; address: string; key: string } | { type: "stop" };

process.on("message", (command: Command) => {
  if (command.type === "stop") process.exit(0);
  const client = new PluginServiceClient(command.address, credentials.createInsecure());
  const call = client.connect();
  let sequence = 1;
  call.write({
    sequence: sequence++,
    message: {
      $case: "onlineReport",
      value: {
        id: command.key,
        name: command.key,
        type: "bench",
        description: "",
        parameters: {},
        neededColumns: [],
        prescribes: true,
      },
    },
  });
  call.on("data", (response: ConnectResponse) => {
    const message = response.message;
    if (message?.$case !== "prescriptionRequest") return;
    const request = message.value;
    const live = request.input?.$case === "casePrefix" ? request.input.value : undefined;
    const last = live?.events[live.events.length - 1];
    call.write({
      sequence: sequence++,
      message: {
        $case: "prescriptionResult",
        value: {
          requestId: request.requestId,
          prescriptions: [
            {
              caseId: live?.caseId ?? "",
              prescription: {
                type: "NEXT_ACTIVITY",
                output: { activity: last?.ACTIVITY ?? null, probability: 1 },
                detail: "",
                model: {},
              },
            },
          ],
          last: true,
        },
      },
    });
  });
  call.on("error", () => {});
});
