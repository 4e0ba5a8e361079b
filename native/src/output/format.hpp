// Numbers as the native tools write them in messages, logs and metadata.
#pragma once

#include <string>

namespace latentlab::native {

// "%.9g": 9 significant digits (a float written so round-trips exactly).
std::string format_float(double value);
// The shortest decimal that reads back as exactly this float ("0.001", not "0.00100000005").
std::string shortest_float(float value);
// "1:02:03" or "2:03" for a number of seconds.
std::string format_duration(double seconds);

}  // namespace latentlab::native
