// The web assets, embedded with the assembler's .incbin (no size limits, no generated source;
// ccache does not cache this file, so a changed bundle is always picked up). Paths come from
// CMakeLists.txt.
#include "report/assets.h"

#include "core/error.h"

#define CHOP_INCBIN(sym, path)             \
  asm(".section .rodata\n"                 \
      ".global " #sym                      \
      "_begin\n"                           \
      ".type " #sym                        \
      "_begin, @object\n"                  \
      ".balign 16\n" #sym                  \
      "_begin:\n"                          \
      ".incbin \"" path                    \
      "\"\n"                               \
      ".global " #sym                      \
      "_end\n"                             \
      ".type " #sym "_end, @object\n" #sym \
      "_end:\n"                            \
      ".byte 0\n"                          \
      ".previous\n");                      \
  extern "C" const char sym##_begin[];     \
  extern "C" const char sym##_end[];

CHOP_INCBIN(chop_asset_vega, CHOP_ASSET_VEGA)
CHOP_INCBIN(chop_asset_vega_lite, CHOP_ASSET_VEGA_LITE)
CHOP_INCBIN(chop_asset_vega_embed, CHOP_ASSET_VEGA_EMBED)
CHOP_INCBIN(chop_asset_report_js, CHOP_ASSET_REPORT_JS)
CHOP_INCBIN(chop_asset_report_css, CHOP_ASSET_REPORT_CSS)
CHOP_INCBIN(chop_asset_render_svg, CHOP_ASSET_RENDER_SVG)

namespace chop::report {
namespace {
std::string_view span(const char* begin, const char* end) {
  return std::string_view(begin, static_cast<size_t>(end - begin));
}
}  // namespace

std::string_view asset_text(Asset a) {
  switch (a) {
    case Asset::kVega:
      return span(chop_asset_vega_begin, chop_asset_vega_end);
    case Asset::kVegaLite:
      return span(chop_asset_vega_lite_begin, chop_asset_vega_lite_end);
    case Asset::kVegaEmbed:
      return span(chop_asset_vega_embed_begin, chop_asset_vega_embed_end);
    case Asset::kReportJs:
      return span(chop_asset_report_js_begin, chop_asset_report_js_end);
    case Asset::kReportCss:
      return span(chop_asset_report_css_begin, chop_asset_report_css_end);
    case Asset::kRenderSvgJs:
      return span(chop_asset_render_svg_begin, chop_asset_render_svg_end);
  }
  CHOP_ASSERT(false, "unknown asset");
  return {};
}

std::string charting_libraries() {
  return std::string("vega ") + CHOP_VEGA_VERSION + ", vega-lite " + CHOP_VEGA_LITE_VERSION +
         ", vega-embed " + CHOP_VEGA_EMBED_VERSION;
}

}  // namespace chop::report
