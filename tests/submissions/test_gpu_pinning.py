"""A GPU worker's run task pins the container to one of the worker's GPUs."""

import pytest
from django.test import override_settings

from benchmarks.models import Track
from submissions.models import Status, Submission
from submissions.services import submission_create_from_image
from submissions.tasks import run_submission

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
    with override_settings(FORGERYBENCH_GPU_DEVICES=["3", "5"], FORGERYBENCH_GPU_LOCK_DIR=tmp_path):
        run_submission(submission.pk)
    run = Submission.objects.get(pk=submission.pk).runs.get()
    (request,) = run.runtime_flags["device_requests"]
    assert request["DeviceIDs"] in (["3"], ["5"]) and request["Count"] == 0
    assert request["Capabilities"] == [["gpu"]]
    # This engine has no GPU 3 or 5 (nor perhaps any GPU): the start fails, by name, and the
    # failure is the run's outcome, not a crash of the worker.
    submission.refresh_from_db()
    assert submission.status == Status.FAILED and submission.failure_code == "start_failed"
