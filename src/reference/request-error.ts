// The reference server's answers to bad requests, as OpenAI's API words them: the first schema issue
// with the parameter it concerns, and an unknown model as model_not_found.
import { z } from "zod";
import { HttpError } from "../contract/http-toolkit.js";

/** A 400 naming the body's first problem and its parameter. */
export function invalidBody(error: z.ZodError): HttpError {
  const issue = error.issues[0];
  const param = issue && issue.path.length > 0 ? issue.path.join(".") : null;
  const message = issue
    ? `${param ?? "body"}: ${issue.message}`
    : z.prettifyError(error).split("\n")[0];
  return new HttpError(400, message ?? "invalid request", param ? { fields: { param } } : {});
}

/** Throws a 404 unless `model` is the served model's name (vLLM takes an absent one as it). */
export function checkModel(model: string | null | undefined, servedModelName: string): void {
  if (model == null || model === servedModelName) return;
  throw new HttpError(
    404,
    `The model \`${model}\` does not exist (this server serves ${servedModelName}).`,
    { fields: { param: "model", code: "model_not_found" } },
  );
}
