/** The submitted form's fields (forms are uncontrolled: the browser keeps what is typed). */
export function formFields(event: Event): FormData {
  event.preventDefault();
  return new FormData(event.currentTarget as HTMLFormElement);
}

/** A text field's value, trimmed; "" when missing. */
export function field(form: FormData, name: string): string {
  const value = form.get(name);
  return typeof value === "string" ? value.trim() : "";
}
