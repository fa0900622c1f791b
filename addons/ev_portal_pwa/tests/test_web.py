# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""The client app's own tests (web/test, node's test runner driving
Chromium against the built app and a stand-in API), run with the module's
tests so that `make test` covers them; `make pwa` installs what they need"""
import os
import shutil
import subprocess
import unittest

WEB = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'web')


@unittest.skipUnless(os.path.isdir(os.path.join(WEB, 'node_modules')),
    "the client app is not installed: run 'make pwa'")
class WebTestCase(unittest.TestCase):
    "Test the client app in a browser"

    def test_web(self):
        "npm test passes: shell, language, theme, list, station, offline"
        npm = shutil.which('npm')
        self.assertTrue(npm, "npm is missing")
        result = subprocess.run([npm, 'test'], cwd=WEB,
            capture_output=True, text=True, timeout=300,
            stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0,
            (result.stdout + result.stderr)[-4000:])
        self.assertIn('# fail 0', result.stdout)
