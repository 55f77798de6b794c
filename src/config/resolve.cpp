// Configuration merge and validation; see resolve.h.
#include "config/resolve.h"

#include "core/error.h"
#include "core/limits.h"
#include "core/strings.h"
#include "core/table.h"

namespace chop::config {
namespace {

const char* type_name(OptionType t) {
  switch (t) {
    case OptionType::kInt:
      return "an integer";
    case OptionType::kFloat:
      return "a number";
    case OptionType::kBool:
      return "a boolean (true/false)";
    default:
      return "a string";
  }
}

bool has_type(const Json& v, OptionType t) {
  if (v.is_null()) return true;
  switch (t) {
    case OptionType::kInt:
      return v.is_number_integer();
    case OptionType::kFloat:
      return v.is_number();
    case OptionType::kBool:
      return v.is_boolean();
    default:
      return v.is_string();
  }
}

void check_choice(const OptionSpec& spec, const Json& v, const std::string& where) {
  if (spec.choices.empty() || !v.is_string()) return;
  for (const auto& c : spec.choices)
    if (c == v.get<std::string>()) return;
  std::string msg = "'" + spec.dest + "' = '" + v.get<std::string>() + "' is not allowed" +
                    did_you_mean(v.get<std::string>(), spec.choices) + "; expected one of " +
                    list_of(spec.choices);
  if (where.empty()) throw UserError("option " + spec.flag + ": " + msg);
  throw ConfigError(where, msg);
}

void check_range(const OptionSpec& spec, const Json& v, const std::string& where) {
  if (!spec.check || v.is_null()) return;
  const std::string problem = spec.check(v);
  if (problem.empty()) return;
  const std::string shown = v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump();
  if (where.empty()) throw UserError("option " + spec.flag + " " + problem + ", got " + shown);
  throw ConfigError(where, "'" + spec.dest + "' " + problem + ", got " + shown);
}

std::string cell(const Json& v) {
  if (v.is_null()) return "None";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_number_float()) return format_double(v.get<double>());
  return v.dump();
}

}  // namespace

Json parse_cli_value(const OptionSpec& spec, const std::string& text) {
  auto bad = [&]() -> UserError {
    return UserError("option " + spec.flag + " expects " + type_name(spec.type) + ", got '" + text +
                     "'");
  };
  Json v;
  switch (spec.type) {
    case OptionType::kInt: {
      auto n = parse_int64(text);
      if (!n)
        throw UserError("option " + spec.flag + " expects an integer (within 64 bits), got '" +
                        text + "'");
      v = *n;
      break;
    }
    case OptionType::kFloat: {
      auto d = parse_finite_double(text);
      if (!d)
        throw UserError("option " + spec.flag + " expects a finite number, got '" + text + "'");
      v = *d;
      break;
    }
    case OptionType::kBool: {
      std::string t = to_lower(text);
      if (t == "true" || t == "1" || t == "yes")
        v = true;
      else if (t == "false" || t == "0" || t == "no")
        v = false;
      else
        throw bad();
      break;
    }
    default:
      v = text;
  }
  check_choice(spec, v, "");
  check_range(spec, v, "");
  return v;
}

RunConfig resolve(const Json& cli, std::optional<TomlDocument> toml) {
  RunConfig rc;
  if (toml) {
    std::vector<std::string> valid;
    for (const auto& o : option_table()) valid.push_back(o.dest);
    for (const auto& t : known_toml_tables()) valid.push_back(t);
    for (auto it = toml->root.begin(); it != toml->root.end(); ++it) {
      const std::string& key = it.key();
      if (key == "config")
        throw ConfigError(toml->where(key), "'config' cannot be set inside a configuration file");
      const OptionSpec* spec = find_option_by_dest(key);
      bool is_table = std::find(known_toml_tables().begin(), known_toml_tables().end(), key) !=
                      known_toml_tables().end();
      if (!spec && !is_table)
        throw ConfigError(toml->where(key),
                          "unknown key '" + key + "'" + did_you_mean(key, valid) +
                              "; top-level keys are MASE's option names (e.g. batch_size, "
                              "max_epochs, load_name) or the tables " +
                              list_of(known_toml_tables()));
      if (is_table && !it.value().is_object())
        throw ConfigError(toml->where(key), "'" + key + "' must be a table ([" + key + "])");
      if (spec) {
        if (!has_type(it.value(), spec->type))
          throw ConfigError(toml->where(key), "'" + key + "' must be " + type_name(spec->type) +
                                                  ", got " + it.value().dump());
        check_choice(*spec, it.value(), toml->where(key));
        check_range(*spec, it.value(), toml->where(key));
      }
    }
  }
  for (const auto& o : option_table()) {
    if (o.dest == "config") continue;
    ResolvedRow row;
    row.dest = o.dest;
    row.default_value = o.default_value;
    row.effective = o.default_value;
    if (toml && toml->root.contains(o.dest)) {
      row.toml_value = toml->root[o.dest];
      row.effective = *row.toml_value;
    }
    if (cli.contains(o.dest)) {
      row.cli_value = cli[o.dest];
      row.effective = *row.cli_value;
    }
    rc.rows.push_back(std::move(row));
  }
  rc.toml = std::move(toml);
  return rc;
}

const Json& RunConfig::get(const std::string& dest) const {
  for (const auto& r : rows)
    if (r.dest == dest) return r.effective;
  CHOP_ASSERT(false, "unknown option dest " + dest);
  static Json null;
  return null;
}

std::string RunConfig::str(const std::string& dest) const {
  const Json& v = get(dest);
  return v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
}
int64_t RunConfig::integer(const std::string& dest) const {
  return get(dest).get<int64_t>();
}
double RunConfig::number(const std::string& dest) const {
  return get(dest).get<double>();
}
bool RunConfig::flag(const std::string& dest) const {
  return get(dest).get<bool>();
}

const Json* RunConfig::table(const std::string& name) const {
  if (!toml || !toml->root.contains(name)) return nullptr;
  return &toml->root[name];
}

std::string RunConfig::where(const std::string& key_path) const {
  return toml ? toml->where(key_path) : "";
}

std::string RunConfig::render_table() const {
  Table t;
  t.header = {"Name", "Default"};
  if (toml) t.header.push_back("Config. File");
  t.header.push_back("Manual Override");
  t.header.push_back("Effective");
  for (const auto& r : rows) {
    const OptionSpec* spec = find_option_by_dest(r.dest);
    if (spec && !spec->in_table) continue;
    std::vector<std::string> row{r.dest, cell(r.default_value)};
    if (toml) row.push_back(r.toml_value ? cell(*r.toml_value) : "");
    row.push_back(r.cli_value ? cell(*r.cli_value) : "");
    row.push_back(cell(r.effective));
    t.rows.push_back(row);
  }
  t.max_col_widths = std::vector<size_t>(t.header.size(), 24);
  return t.render(TableStyle::kPretty);
}

}  // namespace chop::config
