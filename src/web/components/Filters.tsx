/** A page's filters as kept in its URL: the query's values of `names`, empty ones left out. */
export function pickFilters(names: readonly string[], query: Record<string, string>): Record<string, string> {
  return Object.fromEntries(names.filter((name) => query[name]).map((name) => [name, query[name]!]));
}

/** A filter that is a list of options rather than a text box. */
export interface FilterChoice {
  name: string;
  options: ReadonlyArray<{ value: string; label: string }>;
}

/**
 * A filter form: a text box per name, and for each name in `choices` a list of its options ("any"
 * first). `onChange` gets the name and the new value ('' for none).
 */
export function Filters({
  names,
  query,
  choices,
  onChange,
}: {
  names: readonly string[];
  query: Record<string, string>;
  choices: readonly FilterChoice[];
  onChange: (name: string, value: string) => void;
}) {
  const lists = new Map(choices.map((c) => [c.name, c.options]));
  return (
    <form class="filters" onSubmit={(e) => e.preventDefault()}>
      {names.map((name) =>
        lists.has(name) ? (
          <label key={name}>
            {name}
            <select value={query[name] ?? ''} onChange={(e) => onChange(name, (e.target as HTMLSelectElement).value)}>
              <option value="">any</option>
              {lists.get(name)!.map((option) => (
                <option key={option.value} value={option.value}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <label key={name}>
            {name}
            <input value={query[name] ?? ''} size={10} onChange={(e) => onChange(name, (e.target as HTMLInputElement).value)} />
          </label>
        ),
      )}
    </form>
  );
}
