"""DRF API of the rating work: one small APIView per operation (serializers in serializers.py)."""
