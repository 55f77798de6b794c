// Parsing of per-node quantization configs: MASE's required/optional rules per op, the "fixed"
// alias, null names, bypass, metadata precision lists, and errors that name node and key.
#include <gtest/gtest.h>

#include "core/error.h"
#include "quant/config.h"
#include "quant/meta.h"

namespace chop::quant {
namespace {

using json = nlohmann::ordered_json;
const std::string kWhere = "node seq_blocks_2 (passes.quantize.linear.config)";

// MASE's jsc_toy_by_type linear config.
json jsc_linear() {
  return json{{"name", "integer"},   {"data_in_width", 8},     {"data_in_frac_width", 4},
              {"weight_width", 8},   {"weight_frac_width", 4}, {"bias_width", 8},
              {"bias_frac_width", 4}};
}

// Expects a ConfigError whose message starts with kWhere and contains every fragment.
void expect_error(const json& cfg, const std::string& op, std::vector<std::string> fragments) {
  try {
    parse_node_quant_config(cfg, op, kWhere);
    ADD_FAILURE() << "no error for " << cfg.dump();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_EQ(msg.rfind(kWhere + ": ", 0), 0u) << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << f << " | " << msg;
  }
}

TEST(QuantConfig, JscToyLinear) {
  NodeQuantConfig c = parse_node_quant_config(jsc_linear(), "linear", kWhere);
  EXPECT_TRUE(c.quantized());
  EXPECT_EQ(c.name, "integer");
  ASSERT_TRUE(c.data_in && c.weight && c.bias);
  EXPECT_FALSE(c.data_out.has_value());
  EXPECT_EQ(c.weight->family, QuantFamily::kInteger);
  EXPECT_EQ(c.weight->width, 8);
  EXPECT_EQ(c.weight->frac_width, 4);
  EXPECT_EQ(c.bias->operand, "bias");
  EXPECT_TRUE(c.data_in->is_signed);
  EXPECT_EQ(precision_list(*c.weight), json::array({8, 4}));
  EXPECT_EQ(quant_type_string(*c.weight), "integer");
}

TEST(QuantConfig, FixedIsAnAliasOfInteger) {
  json cfg = jsc_linear();
  cfg["name"] = "fixed";
  NodeQuantConfig c = parse_node_quant_config(cfg, "linear", kWhere);
  EXPECT_EQ(c.weight->family, QuantFamily::kInteger);
  EXPECT_EQ(quant_type_string(*c.weight), "fixed");  // metadata keeps the name, as MASE
}

TEST(QuantConfig, NullNameMeansNotQuantized) {
  NodeQuantConfig c = parse_node_quant_config(json{{"name", nullptr}}, "relu", kWhere);
  EXPECT_FALSE(c.quantized());
  EXPECT_EQ(c.name, "");
  EXPECT_FALSE(c.data_in.has_value());
}

TEST(QuantConfig, BypassSkipsOperandParsing) {
  // MASE's search-space default: integer with bypass = true.
  NodeQuantConfig c = parse_node_quant_config(
      json{{"name", "integer"}, {"bypass", true}, {"weight_width", 8}}, "linear", kWhere);
  EXPECT_TRUE(c.bypass);
  EXPECT_FALSE(c.quantized());
  EXPECT_FALSE(c.weight.has_value());
}

TEST(QuantConfig, ReluInputIsUnsignedAndOtherGroupsIgnored) {
  NodeQuantConfig c = parse_node_quant_config(jsc_linear(), "relu", kWhere);
  ASSERT_TRUE(c.data_in.has_value());
  EXPECT_FALSE(c.data_in->is_signed);
  EXPECT_FALSE(c.weight.has_value());
  EXPECT_FALSE(c.bias.has_value());
}

TEST(QuantConfig, NullFracWidthResolvesToHalfWidth) {
  json cfg = jsc_linear();
  cfg["weight_frac_width"] = nullptr;
  NodeQuantConfig c = parse_node_quant_config(cfg, "linear", kWhere);
  EXPECT_FALSE(c.weight->frac_width.has_value());
  EXPECT_EQ(precision_list(*c.weight), json::array({8, nullptr}));
  EXPECT_EQ(precision_list(*c.weight, true), json::array({8, 4}));
}

TEST(QuantConfig, OptionalGroupsOnlyWhenAKeyHasTheirPrefix) {
  json cfg = jsc_linear();
  cfg.erase("bias_width");
  cfg.erase("bias_frac_width");
  EXPECT_FALSE(parse_node_quant_config(cfg, "linear", kWhere).bias.has_value());
  cfg["bias_width"] = 8;  // the group now exists, so it must be complete
  expect_error(cfg, "linear", {"missing key 'bias_frac_width'"});
  cfg = jsc_linear();
  cfg["data_out_width"] = 8;
  cfg["data_out_frac_width"] = 2;
  EXPECT_TRUE(parse_node_quant_config(cfg, "conv2d", kWhere).data_out.has_value());
  EXPECT_FALSE(parse_node_quant_config(cfg, "conv1d", kWhere).data_out.has_value());
  EXPECT_FALSE(parse_node_quant_config(cfg, "matmul", kWhere).bias.has_value());
}

TEST(QuantConfig, RequiredGroupsPerOp) {
  json only_x = {{"name", "integer"}, {"data_in_width", 8}, {"data_in_frac_width", 4}};
  for (const char* op : {"relu", "add", "sub", "mul"})
    EXPECT_TRUE(parse_node_quant_config(only_x, op, kWhere).data_in.has_value()) << op;
  for (const char* op : {"linear", "conv2d", "conv1d", "matmul", "bmm"})
    expect_error(only_x, op, {"missing key 'weight_width'", op});
}

TEST(QuantConfig, MissingWidthNamesTheKey) {
  json cfg = jsc_linear();
  cfg.erase("weight_width");
  expect_error(cfg, "linear", {"missing key 'weight_width'", "weight_frac_width"});
  cfg = jsc_linear();
  cfg.erase("data_in_frac_width");
  expect_error(cfg, "linear", {"missing key 'data_in_frac_width'", "\"NA\""});
}

TEST(QuantConfig, NonPositiveWidth) {
  for (int w : {0, -4}) {
    json cfg = jsc_linear();
    cfg["weight_width"] = w;
    expect_error(cfg, "linear", {"'weight_width'", "positive", std::to_string(w)});
  }
}

TEST(QuantConfig, WrongTypes) {
  json cfg = jsc_linear();
  cfg["weight_width"] = "8";
  expect_error(cfg, "linear", {"'weight_width'", "integer", "string \"8\""});
  cfg = jsc_linear();
  cfg["weight_width"] = 8.5;
  expect_error(cfg, "linear", {"'weight_width'", "float"});
  cfg = jsc_linear();
  cfg["bypass"] = "yes";
  expect_error(cfg, "linear", {"'bypass'", "true or false"});
  cfg = jsc_linear();
  cfg["name"] = 3;
  expect_error(cfg, "linear", {"'name'"});
  expect_error(json::array({1, 2}), "linear", {"table"});
}

TEST(QuantConfig, UnknownNameAndKey) {
  json cfg = jsc_linear();
  cfg["name"] = "intger";
  expect_error(cfg, "linear", {"'name'", "\"intger\"", "did you mean 'integer'"});
  cfg["name"] = "msfp";
  expect_error(cfg, "linear", {"block_fp"});
  cfg = jsc_linear();
  cfg["weight_widht"] = 8;
  expect_error(cfg, "linear", {"unknown key 'weight_widht'", "did you mean 'weight_width'"});
  expect_error(jsc_linear(), "batch_norm1d", {"'batch_norm1d'", "linear"});
  expect_error(json{{"data_in_width", 8}}, "relu", {"missing key 'name'"});
}

TEST(QuantConfig, OtherFamiliesAndPrecisionOrder) {
  json mf = {{"name", "minifloat_ieee"},
             {"data_in_width", 8},
             {"data_in_exponent_width", 4},
             {"data_in_exponent_bias", nullptr}};
  auto c = parse_node_quant_config(mf, "relu", kWhere);
  EXPECT_EQ(c.data_in->family, QuantFamily::kMinifloatIeee);
  EXPECT_EQ(precision_list(*c.data_in), json::array({8, 4, nullptr}));
  EXPECT_EQ(precision_list(*c.data_in, true), json::array({8, 4, 7}));
  mf["data_in_exponent_width"] = 8;
  expect_error(mf, "relu", {"'data_in_exponent_width'", "sign"});

  json bfp = {{"name", "block_fp"},
              {"data_in_width", 7},
              {"data_in_exponent_width", 8},
              {"data_in_exponent_bias", 127},
              {"data_in_block_size", json::array({1, 16})},
              {"weight_width", 7},
              {"weight_exponent_width", 8},
              {"weight_exponent_bias", nullptr},
              {"weight_block_size", 16}};
  c = parse_node_quant_config(bfp, "linear", kWhere);
  EXPECT_TRUE(c.data_in->skip_first_dim);
  EXPECT_FALSE(c.weight->skip_first_dim);
  EXPECT_EQ(c.weight->block_size, (std::vector<int64_t>{16}));
  EXPECT_EQ(precision_list(*c.data_in), json::parse("[7, 8, 127, [1, 16]]"));
  bfp["data_in_skip_first_dim"] = false;
  EXPECT_FALSE(parse_node_quant_config(bfp, "linear", kWhere).data_in->skip_first_dim);
  bfp["weight_block_size"] = json::array({0, 4});
  expect_error(bfp, "linear", {"'weight_block_size'"});

  json lg = {{"name", "log"}, {"data_in_width", 1}, {"data_in_exponent_bias", nullptr}};
  expect_error(lg, "relu", {"'data_in_width'"});

  json bin = {{"name", "binary"},        {"data_in_width", 1}, {"data_in_stochastic", false},
              {"data_in_bipolar", true}, {"weight_width", 1},  {"weight_stochastic", false},
              {"weight_bipolar", true}};
  c = parse_node_quant_config(bin, "linear", kWhere);
  EXPECT_EQ(precision_list(*c.weight), json::array({1, false, true}));
  auto result = result_meta(c);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->first, "binary");
  EXPECT_EQ(result->second, json::array({32, 0, 1}));
  EXPECT_FALSE(result_meta(parse_node_quant_config(jsc_linear(), "linear", kWhere)).has_value());

  json ter = {{"name", "ternary"},
              {"data_in_width", 2},
              {"data_in_scaling_factor", false},
              {"data_in_mean", 0.4},
              {"data_in_median", nullptr}};
  c = parse_node_quant_config(ter, "add", kWhere);
  EXPECT_EQ(c.data_in->mean, 0.4);
  EXPECT_FALSE(c.data_in->median.has_value());
  EXPECT_EQ(precision_list(*c.data_in), json::parse("[2, false, 0.4, null, null]"));

  json bm = {{"name", "block_minifloat"},
             {"data_in_width", 8},
             {"data_in_exponent_width", 4},
             {"data_in_exponent_bias_width", 4},
             {"data_in_block_size", json::array({16})}};
  EXPECT_EQ(precision_list(*parse_node_quant_config(bm, "relu", kWhere).data_in),
            json::parse("[8, 4, 4, [16]]"));
  json bl = {{"name", "block_log"},
             {"data_in_width", 8},
             {"data_in_exponent_bias_width", 4},
             {"data_in_block_size", json::array({16})}};
  EXPECT_EQ(precision_list(*parse_node_quant_config(bl, "relu", kWhere).data_in),
            json::parse("[8, 4, [16]]"));
}

TEST(QuantConfig, LinearExtrasAreKept) {
  json cfg = jsc_linear();
  cfg["additional_layers_inputs"] = 2;
  EXPECT_EQ(parse_node_quant_config(cfg, "linear", kWhere).extra.at("additional_layers_inputs"),
            json(2));
}

TEST(QuantConfig, OperandArgsFollowMase) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(operand_args("matmul"), (P{{"data_in", "data_in_0"}, {"weight", "data_in_1"}}));
  EXPECT_EQ(operand_args("add"), (P{{"data_in", "data_in_0"}, {"data_in", "data_in_1"}}));
  EXPECT_EQ(operand_args("linear").size(), 3u);
  EXPECT_TRUE(is_quantizable_op("bmm"));
  EXPECT_FALSE(is_quantizable_op("batch_norm2d"));
}

}  // namespace
// chop's per-operand extensions for QONNX models (docs/quantization.md, rule 8).
TEST(QuantConfig, OperandBypassSignedAndNarrow) {
  json weights_only = {{"name", "integer"},       {"data_in_bypass", true}, {"weight_width", 8},
                       {"weight_frac_width", 6}, {"weight_narrow", true}};
  NodeQuantConfig c = parse_node_quant_config(weights_only, "linear", kWhere);
  EXPECT_FALSE(c.data_in.has_value());
  ASSERT_TRUE(c.weight.has_value());
  EXPECT_TRUE(c.weight->narrow);
  json unsigned_in = jsc_linear();
  unsigned_in["data_in_signed"] = false;
  EXPECT_FALSE(parse_node_quant_config(unsigned_in, "linear", kWhere).data_in->is_signed);
  json relu_signed = {{"name", "integer"},
                      {"data_in_width", 4},
                      {"data_in_frac_width", 2},
                      {"data_in_signed", true}};
  EXPECT_TRUE(parse_node_quant_config(relu_signed, "relu", kWhere).data_in->is_signed);
  json contradiction = jsc_linear();
  contradiction["data_in_bypass"] = true;
  expect_error(contradiction, "linear", {"'data_in_width' contradicts data_in_bypass = true"});
  json minifloat = {{"name", "minifloat_ieee"},     {"data_in_width", 8},
                    {"data_in_exponent_width", 4},  {"data_in_exponent_bias", nullptr},
                    {"weight_width", 8},            {"weight_exponent_width", 4},
                    {"weight_exponent_bias", nullptr}, {"weight_narrow", true}};
  expect_error(minifloat, "linear", {"'weight_narrow' applies to integer quantization only"});
  json wrong_type = jsc_linear();
  wrong_type["weight_signed"] = "yes";
  expect_error(wrong_type, "linear", {"'weight_signed'", "true or false"});
}

}  // namespace chop::quant
