// Converts the study's Distribution into the algorithms' ParamDomain (internal representation:
// numbers as themselves, categorical choices as indices).
#pragma once

#include "search/distribution.h"
#include "search/samplers/param_domain.h"

namespace chop::search::samplers {

inline ParamDomain to_domain(const Distribution& d) {
  if (d.is_categorical()) return ParamDomain::categorical(static_cast<int>(d.choices().size()));
  ParamDomain p;
  p.kind = d.is_int() ? ParamDomain::Kind::kInt : ParamDomain::Kind::kFloat;
  p.low = d.low();
  p.high = d.high();
  p.step = d.is_int() ? (d.step() > 0 ? d.step() : 1.0) : d.step();
  p.log = d.log();
  return p;
}

}  // namespace chop::search::samplers
