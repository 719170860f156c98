#include "harness/regress_compare.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "rsr/error.h"

namespace rsr::harness {

bool RatioRegressed(double base, double now, double threshold) {
  return now / base - 1 > threshold;
}

std::string CountCaseKey(const std::string& kernel, size_t m, size_t k,
                         size_t tokens) {
  return kernel + " " + std::to_string(m) + "x" + std::to_string(k) +
         " N=" + std::to_string(tokens);
}

const char* CountStatusName(CountStatus s) {
  switch (s) {
    case CountStatus::kOk:
      return "ok";
    case CountStatus::kRegressed:
      return "REGRESSION";
    case CountStatus::kImproved:
      return "improved";
    case CountStatus::kNew:
      return "new: not in baseline";
    case CountStatus::kMissing:
      return "not measured";
  }
  return "?";
}

std::vector<CountComparison> CompareCounts(
    const std::map<std::string, CountCase>& base,
    const std::map<std::string, CountCase>& now, const CountThresholds& t) {
  std::set<std::string> keys;
  for (const auto& [k, v] : base) keys.insert(k);
  for (const auto& [k, v] : now) keys.insert(k);
  std::vector<CountComparison> out;
  for (const auto& key : keys) {
    CountComparison c;
    c.key = key;
    const auto b = base.find(key);
    const auto n = now.find(key);
    if (b != base.end()) c.base = b->second.per_call;
    if (n != now.end()) c.now = n->second.per_call;
    if (!c.base || !c.now) {
      c.status = c.base ? CountStatus::kMissing : CountStatus::kNew;
      out.push_back(c);
      continue;
    }
    bool worse = false, better = false;
    std::string what;
    // change: growth relative to max(base, floor); the shown percentage is
    // the plain now / base - 1.
    auto check = [&](const char* name, double bv, double nv, double limit,
                     double floor, double& rel) {
      rel = bv > 0 ? nv / bv - 1 : (nv > 0 ? 1.0 : 0.0);
      const double growth = (nv - bv) / std::max(bv, floor);
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%s %+.1f%%", name, 100 * rel);
      if (growth > limit) {
        worse = true;
        what += (what.empty() ? "" : ", ") + std::string(buf);
      } else if (growth < -limit) {
        better = true;
      }
    };
    check("instr", c.base->instructions, c.now->instructions, t.instructions,
          1.0, c.instructions);
    const double floor = std::max(
        t.miss_floor, static_cast<double>(b->second.prepared_bytes) / 64);
    check("D1 misses", c.base->d1_misses, c.now->d1_misses, t.misses, floor,
          c.d1_misses);
    check("LL misses", c.base->ll_misses, c.now->ll_misses, t.misses, floor,
          c.ll_misses);
    c.status = worse    ? CountStatus::kRegressed
               : better ? CountStatus::kImproved
                        : CountStatus::kOk;
    c.what = what;
    out.push_back(c);
  }
  return out;
}

CallgrindDump ParseCallgrindDump(const std::string& text) {
  CallgrindDump d;
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> events;
  std::vector<uint64_t> totals, summary;
  auto numbers = [](const std::string& s) {
    std::istringstream ns(s);
    std::vector<uint64_t> v;
    uint64_t x;
    while (ns >> x) v.push_back(x);
    return v;
  };
  const std::string kTrigger = "desc: Trigger: ";
  const std::string kClient = "Client Request: ";
  while (std::getline(in, line)) {
    if (line.rfind(kTrigger, 0) == 0) {
      d.trigger = line.substr(kTrigger.size());
      if (d.trigger.rfind(kClient, 0) == 0)
        d.trigger = d.trigger.substr(kClient.size());
    } else if (line.rfind("events:", 0) == 0) {
      std::istringstream es(line.substr(7));
      std::string e;
      while (es >> e) events.push_back(e);
    } else if (line.rfind("totals:", 0) == 0) {
      totals = numbers(line.substr(7));
    } else if (line.rfind("summary:", 0) == 0) {
      summary = numbers(line.substr(8));
    }
  }
  // "totals:" is the sum over the dump's cost lines; "summary:" the counter
  // state (the two differ by the few events of the dump request itself).
  // Older callgrind versions write only one of them.
  const auto& values = totals.empty() ? summary : totals;
  if (events.empty() || values.empty())
    throw Error("callgrind", "output has no events/totals lines");
  for (size_t i = 0; i < events.size(); ++i)
    d.totals[events[i]] = i < values.size() ? values[i] : 0;
  return d;
}

}  // namespace rsr::harness
