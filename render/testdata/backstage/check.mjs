// check.mjs TEMPLATE_DIR CASES_JSON OUT_DIR: what Backstage itself makes of
// goldenpath's Backstage template (render/backstage_integration_test.go runs
// it and checks the report it prints as JSON).
//
//  1. The catalog's template validation: @backstage/plugin-scaffolder-common's
//     templateEntityV1beta3Validator on template.yaml as the `yaml` package
//     (the catalog's YAML reader) parses it.
//  2. The form: each page's schema, its ui: keys extracted as
//     @backstage/plugin-scaffolder-react's extractSchemaFromStep does, compiled
//     and checked by @rjsf/validator-ajv8's customizeValidator() with
//     ajv-errors, the validator of scaffolder-react's Stepper.
//  3. The backend: jsonschema's validate(values, page) on every page, what
//     the scaffolder backend's router does when a task is created.
//  4. The task: the fetch step's input values rendered from the parameters,
//     then the skeleton's paths and contents rendered, with both template
//     engines Backstage has used: nunjucks as the scaffolder backend up to its
//     Nunjitsu migration ran it (SecureTemplater's environment: autoescape off,
//     ${{ }} variables; step inputs that are a single ${{ }} expression
//     rendered through dump and JSON.parse), and nunjitsu as the current
//     backend runs it (renderValue with JSON coercion for step inputs,
//     render for fetch:template's files).
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const YAML = require("yaml");
const nunjucks = require("nunjucks");
const { createTemplateRenderer } = require("nunjitsu");
const jsonschema = require("jsonschema");
const { templateEntityV1beta3Validator } = require("@backstage/plugin-scaffolder-common");
const { customizeValidator } = require("@rjsf/validator-ajv8");
const ajvErrors = require("ajv-errors").default ?? require("ajv-errors");

const [templateDir, casesFile, outDir] = process.argv.slice(2);
const report = { template: {}, pages: [], cases: [] };

// 1. The catalog.
const entity = YAML.parse(fs.readFileSync(path.join(templateDir, "template.yaml"), "utf8"));
try {
  report.template.valid = await templateEntityV1beta3Validator.check(entity);
} catch (e) {
  report.template.valid = false;
  report.template.error = String(e.message ?? e);
}

// 2. The form's validator, as scaffolder-react's Stepper makes it.
const validator = customizeValidator();
ajvErrors(validator.ajv);

function isObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
// extractUiSchema moves ui: keys out of a schema, recursively, like
// scaffolder-react's extractSchemaFromStep.
function extractUiSchema(schema) {
  if (!isObject(schema)) return;
  for (const k of Object.keys(schema)) if (k.startsWith("ui:")) delete schema[k];
  if (isObject(schema.properties)) for (const p of Object.values(schema.properties)) extractUiSchema(p);
  if (isObject(schema.items)) extractUiSchema(schema.items);
  for (const k of ["anyOf", "oneOf", "allOf"]) if (Array.isArray(schema[k])) schema[k].forEach(extractUiSchema);
  for (const k of ["then", "else"]) extractUiSchema(schema[k]);
  if (isObject(schema.dependencies)) Object.values(schema.dependencies).forEach(extractUiSchema);
}
const pages = [entity.spec.parameters ?? []].flat();
const formSchemas = pages.map((page, i) => {
  const schema = structuredClone(page);
  extractUiSchema(schema);
  const entry = { title: page.title };
  try {
    validator.ajv.compile(schema);
    entry.compiles = true;
  } catch (e) {
    entry.compiles = false;
    entry.error = String(e.message ?? e);
  }
  report.pages.push(entry);
  return schema;
});

// 4. The template engines.
const legacyEnv = new nunjucks.Environment(null, {
  autoescape: false,
  tags: { variableStart: "${{", variableEnd: "}}" },
});
function isSingleTemplateString(input) {
  const parsed = nunjucks.parser.parse(input, {}, { autoescape: false, tags: { variableStart: "${{", variableEnd: "}}" } });
  return parsed.children.length === 1 && !(parsed.children[0]?.children?.[0] instanceof nunjucks.nodes.TemplateData);
}
const engines = {
  nunjucks: {
    // NunjucksWorkflowRunner.render of @backstage/plugin-scaffolder-backend 1.x.
    renderInput(input, context) {
      return JSON.parse(JSON.stringify(input), (_key, value) => {
        if (typeof value !== "string") return value;
        if (isSingleTemplateString(value)) {
          const wrapped = value.replace(/\${{(.+)}}/g, "${{ ( $1 ) | dump }}");
          const templated = legacyEnv.renderString(wrapped, context);
          return templated === "" ? undefined : JSON.parse(templated);
        }
        const templated = legacyEnv.renderString(value, context);
        return templated === "" ? undefined : templated;
      });
    },
    render: (text, context) => legacyEnv.renderString(text, context),
  },
  nunjitsu: {
    // NunjucksWorkflowRunner.render and templateActionHandler of
    // @backstage/plugin-scaffolder-backend 4.x.
    renderInput(input, context) {
      const r = createTemplateRenderer({ allowRegexExecution: true });
      return JSON.parse(JSON.stringify(input), (_key, value) => {
        if (typeof value !== "string") return value;
        return r.renderValue(value, context, { coercion: "json" });
      });
    },
    render(text, context) {
      const r = createTemplateRenderer({ allowRegexExecution: true });
      return r.render(text, r.prepareContext(context));
    },
  },
};

// The skeleton, as fetch:template reads it.
const skeletonDir = path.join(templateDir, "skeleton");
function skeletonFiles(dir, rel = "") {
  const out = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const p = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...skeletonFiles(dir, p));
    else out.push(p);
  }
  return out;
}
const fetchStep = entity.spec.steps.find((s) => s.action === "fetch:template");

for (const c of JSON.parse(fs.readFileSync(casesFile, "utf8"))) {
  const result = { name: c.name, formErrors: [], backendErrors: [], files: {} };
  formSchemas.forEach((schema, i) => {
    try {
      const { errors } = validator.validateFormData(c.values, schema);
      for (const e of errors) result.formErrors.push(`${pages[i].title}: ${e.stack}`);
    } catch (e) {
      result.formErrors.push(`${pages[i].title}: the validator threw: ${e.message}`);
    }
  });
  for (const page of pages) {
    try {
      const r = jsonschema.validate(c.values, page);
      for (const e of r.errors) result.backendErrors.push(`${page.title}: ${e.stack}`);
    } catch (e) {
      // What the scaffolder backend does when a task is created: a schema
      // jsonschema cannot use ("enum expects an array") fails the request.
      result.backendErrors.push(`${page.title}: jsonschema threw: ${e.message}`);
    }
  }
  if (result.formErrors.length === 0 && result.backendErrors.length === 0) {
    for (const [name, engine] of Object.entries(engines)) {
      const input = engine.renderInput(fetchStep.input, { parameters: c.values });
      const context = { values: input.values };
      result.files[name] = [];
      for (const rel of skeletonFiles(skeletonDir)) {
        const target = engine.render(rel, context);
        const content = engine.render(fs.readFileSync(path.join(skeletonDir, rel), "utf8"), context);
        const out = path.join(outDir, c.name, name, input.targetPath, target);
        fs.mkdirSync(path.dirname(out), { recursive: true });
        fs.writeFileSync(out, content);
        result.files[name].push(path.relative(outDir, out));
      }
    }
  }
  report.cases.push(result);
}
process.stdout.write(JSON.stringify(report, null, 2) + "\n");
