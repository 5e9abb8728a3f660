// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "sim_objects.h"

#include <QByteArray>
#include <QByteArrayList>

#include <vector>

namespace podtap::sim {

/// @brief A parsed labelSelector plus fieldSelector, matched against stored objects.
class ObjectSelector final
{
public:
    /// Parses both selectors for @p kind; on failure returns false and sets @p error to the
    /// message the real server gives.
    bool parse(Kind kind, const QByteArray &labelSelector, const QByteArray &fieldSelector, QByteArray *error);
    bool matches(const SimObject &object) const;
    bool isEmpty() const { return m_labels.empty() && m_fields.empty(); }
    /// The namespace a `metadata.namespace=` field selector pins, if any.
    QByteArray pinnedNamespace() const;

private:
    struct LabelRequirement
    {
        enum class Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist };
        QByteArray key;
        Op op = Op::Exists;
        QByteArrayList values;
    };
    struct FieldRequirement
    {
        QByteArray field;
        QByteArray value;
        bool equals = true;
    };
    static QByteArray fieldValue(const SimObject &object, const QByteArray &field);

    std::vector<LabelRequirement> m_labels;
    std::vector<FieldRequirement> m_fields;
};

} // namespace podtap::sim
