"""A GPU run agent pins each container to one of the agent's GPUs."""

import pytest

from benchmarks.models import Track
from submissions.models import Status, Submission
from submissions.services import submission_create_from_image
from tests.agents import submission_run_here

pytestmark = [pytest.mark.docker, pytest.mark.django_db]


def test_the_run_carries_a_device_request_for_one_worker_gpu(
    people, smoke_track, test_image, tmp_path
) -> None:
    Track.objects.filter(pk=smoke_track.pk).update(resource_class=Track.ResourceClass.GPU)
    smoke_track.refresh_from_db()
    submission = submission_create_from_image(
        team=people.team,
        track=smoke_track,
        user=people.owner,
        image_reference=test_image("crasher"),
        method_name="gpu model",
        training_data="other: nothing",
    )
    submission_run_here(submission_id=submission.pk, gpu_devices=("3", "5"), gpu_lock_dir=tmp_path)
    run = Submission.objects.get(pk=submission.pk).runs.get()
    (request,) = run.runtime_flags["device_requests"]
    assert request["DeviceIDs"] in (["3"], ["5"]) and request["Count"] == 0
    assert request["Capabilities"] == [["gpu"]]
    # This engine has no GPU 3 or 5 (nor perhaps any GPU): the start fails, by name, and the
    # failure is the run's outcome, not a crash of the worker.
    submission.refresh_from_db()
    assert submission.status == Status.FAILED and submission.failure_code == "start_failed"
