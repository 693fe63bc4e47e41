// The RentalError a promise rejects with; fails the test when it resolves or throws anything else.
import { expect } from "vitest";
import { RentalError } from "../../../src/pod/providers/types.js";

export async function rejection(p: Promise<unknown>): Promise<RentalError> {
  const err = await p.then(
    () => {
      throw new Error("expected a RentalError");
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RentalError);
  return err as RentalError;
}
