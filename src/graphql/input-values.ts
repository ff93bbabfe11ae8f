// Input values as clients write them, and a clear refusal for those the database cannot take.
//
//   * BigFloat (PostgreSQL numeric, e.g. durationHours) also takes number literals: 48 and 1.5, not
//     only "48". Its value stays the exact text the client wrote.
//   * Before an operation runs, every input value is checked, literals and variables alike: a
//     malformed number or date-time, or a text with a null byte (which PostgreSQL cannot store), is
//     refused with CE005, naming the parameter (its path from the field argument, or the variable)
//     and the value. Otherwise PostgreSQL refuses it later with 22P02, 22008 or 22021, naming neither.
import {
  type ASTNode,
  type DocumentNode,
  GraphQLError,
  type GraphQLInputType,
  type GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  Kind,
  TypeInfo,
  typeFromAST,
  visit,
  visitWithTypeInfo,
} from "postgraphile/graphql";

export const MALFORMED_INPUT = "CE005";

// What PostgreSQL's numeric takes, without its extras (NaN, Infinity, underscores, spaces); an
// exponent of at most three digits always fits.
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$/;
// ISO 8601 as timestamptz takes it: a date, optionally a time, optionally an offset.
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?([Zz]|[+-](\d{2})(?::?(\d{2}))?)?$/;

function isRealDatetime(text: string): boolean {
  const parts = DATETIME.exec(text);
  if (!parts) return false;
  const [year, month, day, hour = 0, minute = 0, second = 0, , offsetHours = 0, offsetMinutes = 0] = [
    parts[1],
    parts[2],
    parts[3],
    parts[4],
    parts[5],
    parts[6],
    parts[7],
    parts[8],
    parts[9],
  ].map((part) => (part === undefined ? undefined : Number(part)));
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  return (
    year! >= 1 &&
    month! >= 1 &&
    month! <= 12 &&
    day! >= 1 &&
    day! <= daysInMonth &&
    hour! <= 23 &&
    minute! <= 59 &&
    second! <= 59 &&
    offsetHours! <= 15 &&
    offsetMinutes! <= 59
  );
}

/** What is wrong with one scalar value, or null. */
function problemOf(scalar: string, value: unknown): string | null {
  if (typeof value === "string" && value.includes("\u0000")) return "must not contain a null byte (\\u0000)";
  if (
    scalar === "BigFloat" &&
    !(typeof value === "number" && Number.isFinite(value)) &&
    !(typeof value === "string" && NUMBER.test(value))
  ) {
    return "must be a number";
  }
  if (scalar === "Datetime" && !(typeof value === "string" && isRealDatetime(value))) {
    return "must be a date and time in ISO 8601, e.g. 2026-12-01T09:00:00Z";
  }
  return null;
}

/** Text anywhere in a JSON value that PostgreSQL cannot store. */
function jsonProblem(value: unknown): string | null {
  if (typeof value === "string") return problemOf("String", value);
  if (Array.isArray(value)) return value.map(jsonProblem).find((problem) => problem) ?? null;
  if (value !== null && typeof value === "object") {
    return [...Object.keys(value), ...Object.values(value)].map(jsonProblem).find((problem) => problem) ?? null;
  }
  return null;
}

function refusal(parameter: string, problem: string, value: unknown, node: ASTNode | undefined): GraphQLError {
  return new GraphQLError(`${parameter} ${problem} (got ${JSON.stringify(value)})`, {
    nodes: node,
    extensions: { code: MALFORMED_INPUT },
  });
}

/** A variable's value, walked along its declared type. */
function checkVariable(value: unknown, type: GraphQLInputType, path: string, node: ASTNode, errors: GraphQLError[]): void {
  if (value === null || value === undefined) return;
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    for (const [index, item] of (Array.isArray(value) ? value : [value]).entries())
      checkVariable(item, inner.ofType, `${path}[${index}]`, node, errors);
  } else if (isInputObjectType(inner)) {
    if (typeof value !== "object") return; // GraphQL itself refuses it
    const fields = inner.getFields();
    for (const [name, fieldValue] of Object.entries(value)) {
      if (fields[name]) checkVariable(fieldValue, fields[name].type, `${path}.${name}`, node, errors);
    }
  } else {
    const problem = inner.name === "JSON" ? jsonProblem(value) : problemOf(inner.name, value);
    if (problem) errors.push(refusal(path, problem, value, node));
  }
}

/** The refusals for one operation's input values (literals in the document and variables). */
export function inputValueErrors(
  schema: GraphQLSchema,
  document: DocumentNode,
  variableValues: Record<string, unknown> | null | undefined,
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const typeInfo = new TypeInfo(schema);
  const names: string[] = [];
  const checkLiteral = (node: ASTNode, value: unknown) => {
    const named = getNamedType(typeInfo.getInputType() ?? undefined);
    // Inside a JSON literal there is no input type: only its text is checked.
    const problem = named && named.name !== "JSON" ? problemOf(named.name, value) : problemOf("String", value);
    if (problem) errors.push(refusal(names.join("."), problem, value, node));
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
      ObjectField: { enter: (node) => void names.push(node.name.value), leave: () => void names.pop() },
      StringValue: (node) => checkLiteral(node, node.value),
      IntValue: (node) => checkLiteral(node, node.value),
      FloatValue: (node) => checkLiteral(node, node.value),
    }),
  );
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    for (const variable of definition.variableDefinitions ?? []) {
      const type = typeFromAST(schema, variable.type as never) as GraphQLInputType | undefined;
      const name = variable.variable.name.value;
      if (type) checkVariable(variableValues?.[name], type, `$${name}`, variable, errors);
    }
  }
  return errors;
}

export const InputValuesPlugin: GraphileConfig.Plugin = {
  name: "InputValuesPlugin",
  description: "Number literals for BigFloat; malformed input refused with CE005, naming the parameter and the value",
  version: "1.0.0",
  schema: {
    hooks: {
      GraphQLScalarType(config) {
        if (config.name !== "BigFloat") return config;
        return {
          ...config,
          parseLiteral(ast) {
            if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
            throw new GraphQLError(`BigFloat takes a number or a string of one (kind = '${ast.kind}')`);
          },
        };
      },
    },
  },
  grafast: {
    middleware: {
      execute(next, event) {
        const errors = inputValueErrors(event.args.schema, event.args.document, event.args.variableValues as Record<string, unknown>);
        return errors.length > 0 ? { errors } : next();
      },
      subscribe(next, event) {
        const errors = inputValueErrors(event.args.schema, event.args.document, event.args.variableValues as Record<string, unknown>);
        return errors.length > 0 ? { errors } : next();
      },
    },
  },
};
