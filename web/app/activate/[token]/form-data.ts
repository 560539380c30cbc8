/** The activation form's fields as the profile and questionnaire answers the command validates. */
export function profileAndAnswersFromForm(form: FormData): {
  profile: Record<string, unknown>;
  questionnaire: Record<string, unknown>;
} {
  const text = (name: string) => {
    const value = form.get(name);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const profile: Record<string, unknown> = {};
  for (const key of ['firstName', 'lastName', 'birthDate', 'gender']) {
    const value = text(key);
    if (value !== undefined) profile[key] = value;
  }
  const children = [0, 1, 2]
    .map((i) => ({
      name: text(`child${i}.name`),
      birth_date: text(`child${i}.birth_date`),
      gender: text(`child${i}.gender`),
    }))
    .filter((child) => child.name || child.birth_date)
    .map((child) => Object.fromEntries(Object.entries(child).filter(([, v]) => v !== undefined)));
  const questionnaire: Record<string, unknown> = {};
  if (children.length) questionnaire.children = children;
  if (form.get('has_car') === 'on') questionnaire.has_car = true;
  return { profile, questionnaire };
}
