// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

// The name and address rules that Kubernetes and Linux put on what podtap is given. They sit below
// every module (kube, capture, tap) so none has to depend on another to check a name.
namespace podtap {

/// RFC 1123 label: at most 63 of [a-z0-9-], starting and ending alphanumeric (namespaces).
bool isDnsLabel(const QString &text);
/// RFC 1123 subdomain: at most 253 characters, dot-separated labels (pods, nodes).
bool isDnsSubdomain(const QString &text);
/// A Linux interface name: 1–15 bytes, no '/', no whitespace or control characters, not "." or "..".
bool isInterfaceName(const QString &text);
/// An IPv4 or IPv6 literal as inet_pton reads it. Zones ("%eth0") are refused.
bool isIpLiteral(const QString &text);
/// Whether @p text holds a C0 control character, NUL or DEL.
bool hasControlOrNul(const QString &text);

} // namespace podtap
