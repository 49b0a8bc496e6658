from stacktools.aws_actions import is_mutating


def test_reads_are_not_mutating():
    for action in ("DescribeServices", "GetQueueAttributes", "ListTagsForResource", "HeadObject",
                   "ReceiveMessage", "TestEventPattern", "GET /2015-03-31/functions"):
        assert not is_mutating(action), action


def test_writes_are_mutating():
    for action in ("CreateQueue", "PutRule", "RunTask", "RegisterTaskDefinition", "TagResource",
                   "SetQueueAttributes", "DeleteRule", "PUT /bucket", "UpdateService"):
        assert is_mutating(action), action


def test_unknown_or_missing_action_is_not_counted():
    assert not is_mutating(None)
    assert not is_mutating("")
