// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "json_writer.h"
#include "sim_objects.h"

namespace podtap::sim {

/// @brief Renders simulated objects as the real API server does: full objects, list items,
/// PartialObjectMetadata and Table rows.
class ObjectWriter final
{
public:
    enum class TableObject { None, Metadata, Object };

    /// The full object; @p typeMeta adds kind/apiVersion (list items go without, like the real server).
    static void writeObject(JsonWriter &json, const SimObject &object, bool typeMeta = true);
    static void writeMetadata(JsonWriter &json, const SimObject &object);
    static void writePartialMetadata(JsonWriter &json, const SimObject &object);
    static void writeTableColumns(JsonWriter &json, Kind kind);
    static void writeTableRow(JsonWriter &json, const SimObject &object, TableObject include, qint64 nowMs);

    /// RFC 3339 in UTC with second precision, like metav1.Time.
    static QByteArray timestamp(qint64 msSinceEpoch);
    /// Go's duration.HumanDuration, which kubectl's AGE column uses.
    static QByteArray humanAge(qint64 ms);

private:
    static void writePodSpec(JsonWriter &json, const SimPod &pod);
    static void writePodStatus(JsonWriter &json, const SimPod &pod);
    static void writeNode(JsonWriter &json, const SimNode &node);
};

} // namespace podtap::sim
