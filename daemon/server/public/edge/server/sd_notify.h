#pragma once
// Minimal systemd notification (sd_notify protocol: a datagram to $NOTIFY_SOCKET), so edged
// runs as Type=notify with a watchdog without linking libsystemd. No-ops outside systemd.
#include <chrono>
#include <string_view>

namespace edge::server {

// Sends `state` (e.g. "READY=1", "STOPPING=1", "WATCHDOG=1"). Returns false if not under
// systemd or the send failed.
bool SdNotify(std::string_view state);
// The watchdog period systemd asked for ($WATCHDOG_USEC), or zero if none.
std::chrono::microseconds SdWatchdogPeriod();

}  // namespace edge::server
